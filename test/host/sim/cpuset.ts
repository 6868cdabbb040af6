#!/usr/bin/env node
// SPDX-License-Identifier: BSD-2-Clause
// Entry point of the simulated FreeBSD cpuset(8) for the Linux test host; the behaviour lives in
// cmd/cpuset.ts.

import { runCpuset } from './cmd/cpuset.js';
import { runTool } from './state/io.js';

runTool('cpuset', (argv, io) => runCpuset(argv, io));
