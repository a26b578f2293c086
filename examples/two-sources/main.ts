import { mkdirSync } from "node:fs";
import { App } from "cdktf";
import { loadProjectConfig } from "../../scripts/project-config";
import { defineTwoSources } from "./app";

/**
 * npm run example -- two-sources: synthesizes this composition into cdktf.out/examples/two-sources (or the
 * folder in EXAMPLE_OUTDIR), with the project's configuration for its first environment.
 */
const outdir = process.env.EXAMPLE_OUTDIR ?? "cdktf.out/examples/two-sources";
mkdirSync(outdir, { recursive: true });
const app = new App({ outdir });
defineTwoSources(app, loadProjectConfig().environments[0]);
app.synth();
