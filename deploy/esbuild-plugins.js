// esbuild plugins for serverless-esbuild (serverless.yml: custom.esbuild.plugins) and the bench.
"use strict";

/**
 * zod re-exports its ~40 message locales as a namespace (`z.locales`), which keeps all of them
 * (about 250 KB minified) in every bundle. The sync only ever uses English, which zod installs
 * itself: the namespace is cut down to that one locale.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: "zod-locales-en", namespace: "zod-english-only" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "zod-english-only" }, () => ({
      contents: 'export { default as en } from "zod/v4/locales/en.js";',
      resolveDir: __dirname,
    }));
  },
};

module.exports = [zodEnglishOnly];
