'use client';

import { useState } from 'react';

/** Copies `text` to the clipboard in one click, and says so (or says to copy it by hand when the browser refuses). */
export function CopyButton({ text, label, testId }: { text: string; label: string; testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      setState('failed');
    }
  }
  return (
    <>
      <button type="button" className="button" onClick={copy} data-testid={testId}>
        {state === 'copied' ? 'Copied' : label}
      </button>
      <span className="muted small" role="status">
        {state === 'failed' ? 'The browser did not allow copying: select the text and copy it.' : ''}
      </span>
    </>
  );
}
