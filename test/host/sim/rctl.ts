#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD rctl(8) for the Linux test host; the behaviour lives in
// cmd/rctl.ts.

import { runRctl } from './cmd/rctl.js';
import { runTool } from './state/io.js';

runTool('rctl', (argv, io) => runRctl(argv, io));
