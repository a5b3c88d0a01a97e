'use client';
/**
 * The flow's problems: `compile` runs in the browser on every change, so errors show live, and so do
 * template variables no contact has; what the server answered to the last Save or Publish is shown too,
 * until the flow changes again. Warnings (severity 'warning') are listed with them but never count
 * against publishing.
 */
import { useDeferredValue, useMemo, useState } from 'react';
import { compile, type FlowError } from '@domain/flow/compile';
import type { FlowGraph } from '@domain/flow/schema';
import { unknownVariables } from '@domain/template-variables';

export function errorKey(e: FlowError): string {
  return `${e.nodeId ?? ''}|${e.edgeId ?? ''}|${e.field ?? ''}|${e.message}`;
}

/** A 422's details, when they are the compiler's errors (each with at least a message). */
export function isFlowErrorList(details: unknown): details is FlowError[] {
  return Array.isArray(details) && details.every((d) => d !== null && typeof d === 'object' && 'message' in d && typeof d.message === 'string');
}

/** Errors the server answered with, valid only for the exact flow (its snapshot) they were about. */
export interface ServerErrors {
  errors: FlowError[];
  snapshot: string;
}

/** `attributes`: the workspace's contact attribute names, which Send Email templates may print (with the built-ins). */
export function useFlowProblems(flowId: string, graph: FlowGraph, snapshot: string, attributes: readonly string[]) {
  const [serverErrors, setServerErrors] = useState<ServerErrors | null>(null);

  // The same compiler the server uses; deferred so dragging stays smooth.
  const deferredGraph = useDeferredValue(graph);
  const live = useMemo(() => {
    const result = compile(deferredGraph, { flowId, version: 0 });
    // Misspelled template variables too, as publish finds them (domain/template-variables.ts).
    const variables = unknownVariables(deferredGraph, attributes);
    return {
      errors: [...(result.ok ? [] : result.errors), ...variables.filter((e) => e.severity !== 'warning')],
      warnings: [...(result.warnings ?? []), ...variables.filter((e) => e.severity === 'warning')],
    };
  }, [deferredGraph, flowId, attributes]);
  const liveErrors = live.errors;

  const errors = useMemo(() => {
    const all = [...live.errors, ...live.warnings, ...(serverErrors && serverErrors.snapshot === snapshot ? serverErrors.errors : [])];
    const seen = new Set<string>();
    return all.filter((e) => {
      const key = errorKey(e);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }, [live, serverErrors, snapshot]);

  const errorsByNode = useMemo(() => {
    const map = new Map<string, FlowError[]>();
    for (const e of errors) if (e.nodeId) map.set(e.nodeId, [...(map.get(e.nodeId) ?? []), e]);
    return map;
  }, [errors]);

  return { liveErrors, errors, errorsByNode, setServerErrors };
}
