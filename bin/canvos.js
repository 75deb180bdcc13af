#!/usr/bin/env node
// The bundle (scripts/bundle.mjs), not tsc's dist/cli/: a handful of files for Node to load instead
// of hundreds. With CANVOS_DEBUG, stack traces point into src/ through the bundle's source maps;
// enabled only then, as reading the maps costs start-up time. A dynamic import, so that the switch
// comes first.
if (process.env.CANVOS_DEBUG) process.setSourceMapsEnabled(true);
const { main } = await import("../dist/bundle/main.js");

main(process.argv.slice(2));
