import "../../scripts/local/node-compat";

// The SDK warns once per process that its Node.js 20 support ends; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
