#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD jexec(8) for the Linux test host; the behaviour lives in
// cmd/jexec.ts.

import { runJexec } from './cmd/jexec.js';
import { runTool } from './state/io.js';

runTool('jexec', (argv, io) => runJexec(argv, io));
