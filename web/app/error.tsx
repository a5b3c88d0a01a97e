'use client';

export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <section>
      <h1>Something went wrong</h1>
      <p className="muted">The page could not be loaded{error.digest ? ` (reference ${error.digest})` : ''}. The server log has the details.</p>
      <button type="button" className="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
