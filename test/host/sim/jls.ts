#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD jls(8) for the Linux test host; the behaviour lives in
// cmd/jls.ts.

import { runJls } from './cmd/jls.js';
import { runTool } from './state/io.js';

runTool('jls', (argv, io) => runJls(argv, io));
