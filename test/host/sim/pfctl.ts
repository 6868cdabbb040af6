#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD pfctl(8) for the Linux test host; the behaviour lives in
// cmd/pfctl.ts.

import { runPfctl } from './cmd/pfctl.js';
import { runTool } from './state/io.js';

runTool('pfctl', (argv, io) => runPfctl(argv, io));
