import { Sha256 } from "@aws-crypto/sha256-js";
import { defaultProvider } from "@aws-sdk/credential-provider-node";
import { SignatureV4 } from "@smithy/signature-v4";

/**
 * POSTs a JSON body to an API Gateway URL with IAM authorization: signed with SigV4 for `execute-api` with the
 * standard AWS credentials (the same chain the SDK clients use).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 */
export async function signedPost(url: string, body: string, region: string): Promise<{ status: number; body: unknown }> {
  const target = new URL(url);
  const signer = new SignatureV4({ credentials: defaultProvider(), region, service: "execute-api", sha256: Sha256 });
  const signed = await signer.sign({
    method: "POST",
    protocol: target.protocol,
    hostname: target.hostname,
    ...(target.port ? { port: Number(target.port) } : {}),
    path: target.pathname,
    query: {},
    headers: { host: target.host, "content-type": "application/json" },
    body,
  });
  const response = await fetch(url, { method: "POST", headers: signed.headers as Record<string, string>, body });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (a gateway error page): kept as text.
  }
  return { status: response.status, body: parsed };
}
