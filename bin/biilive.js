#!/usr/bin/env node
// Entry: load the TypeScript sources through tsx (no build step), then run the CLI.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
