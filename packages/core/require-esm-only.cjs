// @imgsize/core is an ES module only: `require()` lands here and says so (Node < 22 cannot require ESM).
throw new Error(
  "@imgsize/core is ESM-only and cannot be loaded with require(). Use `import { analyzeImage } from '@imgsize/core'` " +
    "in an ES module (\"type\": \"module\" or .mjs), or `const core = await import('@imgsize/core')` from CommonJS.",
);
