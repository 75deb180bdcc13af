// What files.ts uses of yaml, behind a module of canvos's own that files.ts imports lazily.
// Why not `await import("yaml")` there: yaml is CommonJS for Node, and a dynamic import of a
// CommonJS package, once bundled with code splitting (scripts/bundle.mjs), yields only its default
// export (esbuild), so its named exports would be missing. A static re-export keeps them.
export { LineCounter, parseDocument, isMap } from "yaml";
