'use client';

import Link from 'next/link';
import { useEffect, useState } from 'react';
import { callApi } from '@/lib/api-client';
import type { ImportProblemKind } from '@domain/contact-import';
import type { ImportStatusResponse } from '@/lib/api-types';
import { Count } from '@/components/count';

const OUTCOME: Record<ImportProblemKind, string> = { invalid: 'Refused', duplicate: 'Skipped', warning: 'Imported with a warning' };

/** Polls the import's counts every second while its job runs. */
export function ImportProgressView({ initial }: { initial: ImportStatusResponse }) {
  const [state, setState] = useState(initial);
  const { import: job, problems } = state;
  const running = job.status === 'running' || job.status === 'uploaded';

  useEffect(() => {
    if (!running) return;
    const timer = setInterval(async () => {
      const result = await callApi<ImportStatusResponse>('GET', `/api/imports/${encodeURIComponent(job.id)}`);
      if (result.ok) setState(result.data);
    }, 1000);
    return () => clearInterval(timer);
  }, [running, job.id]);

  const percent = job.totalRows === 0 ? 100 : Math.floor((job.rowsDone / job.totalRows) * 100);
  return (
    <div data-testid="import-progress" data-status={job.status}>
      <p data-testid="import-status">
        {job.status === 'done' ? 'Done.' : job.status === 'failed' ? `Failed: ${job.error ?? 'unknown error'}` : 'Importing…'}{' '}
        <Count value={job.rowsDone} /> of <Count value={job.totalRows} /> rows ({percent}%).
      </p>
      <progress max={Math.max(job.totalRows, 1)} value={job.rowsDone} aria-label="Rows imported" />
      <ul data-testid="import-counts">
        <li>
          Added:{' '}
          <span data-testid="import-created">
            <Count value={job.created} />
          </span>
        </li>
        <li>
          Updated:{' '}
          <span data-testid="import-updated">
            <Count value={job.updated} />
          </span>
        </li>
        <li>
          Refused:{' '}
          <span data-testid="import-invalid">
            <Count value={job.invalid} />
          </span>
        </li>
        <li>
          Duplicates skipped:{' '}
          <span data-testid="import-duplicates">
            <Count value={job.duplicates} />
          </span>
        </li>
        <li>
          Imported with warnings:{' '}
          <span data-testid="import-warnings">
            <Count value={job.warnings} />
          </span>
        </li>
      </ul>
      {problems.length > 0 && (
        <table className="table" data-testid="import-problems">
          <thead>
            <tr>
              <th>Line</th>
              <th>Outcome</th>
              <th>Problem</th>
            </tr>
          </thead>
          <tbody>
            {problems.map((p) => (
              <tr key={p.line} data-kind={p.kind}>
                <td>{p.line}</td>
                <td>{OUTCOME[p.kind]}</td>
                <td>{p.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {!running && (
        <p>
          <Link href="/contacts">Back to contacts</Link>
          {job.listId && (
            <>
              {' · '}
              <Link href={`/lists/${encodeURIComponent(job.listId)}`} data-testid="import-list-link">
                The list
              </Link>
            </>
          )}
        </p>
      )}
    </div>
  );
}
