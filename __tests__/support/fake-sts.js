// A local STS endpoint that answers GetCallerIdentity for account 123456789012, in its own process so that a
// blocking `terraform plan` started by a test can reach it. Prints its URL on the first line of stdout.
const { createServer } = require("node:http");

const ACCOUNT = process.argv[2] || "123456789012";
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "text/xml" });
    res.end(
      '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>' +
        `<Arn>arn:aws:iam::${ACCOUNT}:user/offline-test</Arn><UserId>AIDAOFFLINETEST</UserId><Account>${ACCOUNT}</Account>` +
        "</GetCallerIdentityResult><ResponseMetadata><RequestId>offline-test</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
    );
  });
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
