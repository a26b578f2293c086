/** A built, reproducible deployment package of a Lambda function (see build.ts). */
export interface LambdaArchive {
  /** The zip file; copied into the stack folder as an asset. */
  readonly zipPath: string;
  /** base64(sha256(zip)), the form Lambda reports as CodeSha256. */
  readonly sourceCodeHash: string;
  /** `<file without extension>.<export>`, matching a file inside the zip. */
  readonly handler: string;
}
