#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD kldstat(8) for the Linux test host; the behaviour lives in
// cmd/sysctl.ts.

import { runKldstat } from './cmd/sysctl.js';
import { runTool } from './state/io.js';

runTool('kldstat', (argv, io) => runKldstat(argv, io));
