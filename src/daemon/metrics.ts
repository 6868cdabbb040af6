// SPDX-License-Identifier: BSD-2-Clause
// Prometheus metrics of the daemon in the text exposition format (version 0.0.4): run duration
// and results, the time of the last applied commit, drift and jails per state. Kept in memory
// and updated from each run report; the HTTP listener only renders them.

import { createServer, type Server } from 'node:http';

import { RESULTS } from '../status/reasons.js';
import type { RunReport } from '../run/report.js';

const JAIL_STATES = ['running', 'stopped', 'missing', 'failed', 'blocked'] as const;

/** The metrics of one daemon. */
export interface Metrics {
  record(report: RunReport, options: { appliedCommitTime?: number | undefined }): void;
  recordWebhook(status: number): void;
  render(): string;
}

/** Makes an empty metrics registry. */
export function createMetrics(): Metrics {
  const runs = new Map<string, number>(RESULTS.map((r) => [r, 0]));
  const webhooks = new Map<number, number>();
  let durationSum = 0;
  let durationCount = 0;
  let lastDuration = 0;
  let appliedCommitTime: number | undefined;
  let lastRunTime: number | undefined;
  let driftSteps = 0;
  let jails = new Map<string, number>();

  return {
    record(report, options) {
      runs.set(report.result, (runs.get(report.result) ?? 0) + 1);
      lastDuration = report.durationMs / 1000;
      durationSum += lastDuration;
      durationCount += 1;
      lastRunTime = Date.parse(report.finishedAt) / 1000;
      if (options.appliedCommitTime !== undefined) appliedCommitTime = options.appliedCommitTime;
      const drift = report.reason === 'DriftDetected' || report.reason === 'DriftCorrected';
      driftSteps = drift ? (report.plan?.steps ?? 0) : 0;
      jails = new Map(
        JAIL_STATES.map((s) => [s, report.jails.filter((j) => j.state === s).length]),
      );
    },
    recordWebhook(status) {
      webhooks.set(status, (webhooks.get(status) ?? 0) + 1);
    },
    render() {
      const lines: string[] = [];
      const metric = (name: string, type: string, help: string, samples: [string, number][]) => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const [labels, value] of samples) lines.push(`${name}${labels} ${formatValue(value)}`);
      };
      metric(
        'stockade_runs_total',
        'counter',
        'Runs finished, by result.',
        [...runs.entries()].map(([r, n]) => [`{result="${r}"}`, n]),
      );
      // A summary without quantiles: its samples are the _sum and _count series.
      metric('stockade_run_duration_seconds', 'summary', 'Duration of runs.', [
        ['_sum', durationSum],
        ['_count', durationCount],
      ]);
      metric('stockade_last_run_duration_seconds', 'gauge', 'Duration of the last run.', [
        ['', lastDuration],
      ]);
      if (lastRunTime !== undefined) {
        metric('stockade_last_run_timestamp_seconds', 'gauge', 'When the last run finished.', [
          ['', lastRunTime],
        ]);
      }
      if (appliedCommitTime !== undefined) {
        metric(
          'stockade_applied_commit_timestamp_seconds',
          'gauge',
          'Commit time of the commit the host runs.',
          [['', appliedCommitTime]],
        );
      }
      metric('stockade_drift_steps', 'gauge', 'Plan steps the last run needed to correct drift.', [
        ['', driftSteps],
      ]);
      metric(
        'stockade_jails',
        'gauge',
        'Jails by state after the last run.',
        JAIL_STATES.map((s) => [`{state="${s}"}`, jails.get(s) ?? 0]),
      );
      metric(
        'stockade_webhook_requests_total',
        'counter',
        'Webhook requests, by response status.',
        [...webhooks.entries()].sort(([a], [b]) => a - b).map(([s, n]) => [`{code="${s}"}`, n]),
      );
      return `${lines.join('\n')}\n`;
    },
  };
}

/** Serves `metrics.render()` at GET /metrics. */
export function createMetricsServer(metrics: Metrics): Server {
  return createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?', 1)[0] !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(metrics.render());
  });
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}
