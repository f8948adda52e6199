#!/usr/bin/env node
// The `continuum` command as an installed bin: runs src/main.ts from source on the workspace's
// pinned Node (the system node may be older) with the workspace packages resolved to their
// sources, exactly like `npm run continuum -- ...`.
'use strict';
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..', '..');
const pinnedNode = path.join(root, 'node_modules', 'node', 'bin', 'node');
const node = existsSync(pinnedNode) ? pinnedNode : process.execPath;
const main = path.join(__dirname, '..', 'src', 'main.ts');

const child = spawn(node, ['--conditions=@continuum/source', '--import', 'tsx', main, ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: process.cwd(),
});
// Ctrl-C reaches the child through the terminal's process group; other signals are passed on.
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
process.on('SIGINT', () => undefined);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + (require('node:os').constants.signals[signal] ?? 1) : 1)));
