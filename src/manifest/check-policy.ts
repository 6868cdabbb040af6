// SPDX-License-Identifier: BSD-2-Clause
// Rules on what a jail may ask of the node: jail(8) parameters against the node's allow list
// (reserved ones are refused by the schema already), memory and CPU ceilings, replica counts, volume sizes. Pure.

import { diagAt, ofKind, type CheckedDoc } from './check-context.js';
import type { Diagnostic } from './diagnostic.js';
import { isReservedParameter, parsePercent, parseSize } from './names.js';
import type { LoadOptions } from './options.js';

/** Diagnostics of every policy and resource rule. */
export function checkPolicy(docs: readonly CheckedDoc[], options: LoadOptions): Diagnostic[] {
  const out: Diagnostic[] = [];
  const policy = options.policy;

  for (const entry of ofKind(docs, 'Jail')) {
    const spec = entry.doc.spec;
    for (const name of Object.keys(spec.parameters ?? {})) {
      const at = ['spec', 'parameters', name];
      // Reserved parameters never get here: the schema refuses them (PARAMETER_RESERVED).
      if (
        policy !== undefined &&
        !isReservedParameter(name) &&
        !policy.allowedParameters.includes(name)
      ) {
        const message = `jail parameter '${name}' is not in the node policy's allowedParameters`;
        out.push(diagAt(entry, at, 'POLICY_PARAMETER_DENIED', message, { target: 'key' }));
      }
    }

    const pcpu = spec.resources?.pcpu === undefined ? undefined : parsePercent(spec.resources.pcpu);
    const pcpuAt = ['spec', 'resources', 'pcpu'];
    if (pcpu === 0) {
      out.push(
        diagAt(
          entry,
          pcpuAt,
          'VALUE_OUT_OF_RANGE',
          '0% would stop the jail; leave pcpu out for no limit',
        ),
      );
    }
    if (pcpu !== undefined && options.cpuCount !== undefined && pcpu > 100 * options.cpuCount) {
      const message = `${pcpu}% is more than the node's ${options.cpuCount} CPUs can give (${100 * options.cpuCount}%)`;
      out.push(diagAt(entry, pcpuAt, 'RESOURCE_PCPU_EXCEEDS_CPUS', message));
    }
    if (policy === undefined) {
      continue;
    }

    if (policy.maxPcpu !== undefined && pcpu !== undefined && pcpu > policy.maxPcpu) {
      const message = `${pcpu}% is above the node policy's maxPcpu of ${policy.maxPcpu}%`;
      out.push(diagAt(entry, pcpuAt, 'POLICY_PCPU_EXCEEDED', message));
    }
    const memory = spec.resources?.memory;
    // The node config accepts lowercase units (512m); manifests use uppercase.
    const ceiling =
      policy.maxMemory === undefined ? undefined : parseSize(policy.maxMemory.toUpperCase());
    const asked = memory === undefined ? undefined : parseSize(memory);
    if (ceiling !== undefined && asked !== undefined && asked > ceiling) {
      const message = `${memory} is above the node policy's maxMemory of ${policy.maxMemory}`;
      out.push(diagAt(entry, ['spec', 'resources', 'memory'], 'POLICY_MEMORY_EXCEEDED', message));
    }
    const replicas = spec.replicas ?? 1;
    if (replicas > policy.maxReplicas) {
      const message = `${replicas} replicas is above the node policy's maxReplicas of ${policy.maxReplicas}`;
      out.push(diagAt(entry, ['spec', 'replicas'], 'POLICY_REPLICAS_EXCEEDED', message));
    }
  }

  for (const entry of ofKind(docs, 'Volume')) {
    const { quota, reservation } = entry.doc.spec;
    const q = quota === undefined ? undefined : parseSize(quota);
    const r = reservation === undefined ? undefined : parseSize(reservation);
    if (q !== undefined && r !== undefined && q > 0n && r > q) {
      const message = `reservation ${reservation} is larger than quota ${quota}`;
      out.push(diagAt(entry, ['spec', 'reservation'], 'VOLUME_RESERVATION_EXCEEDS_QUOTA', message));
    }
  }
  return out;
}
