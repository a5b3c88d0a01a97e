import Link from 'next/link';

export default function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is nothing here. Go back to <Link href="/flows">your flows</Link>.
      </p>
    </section>
  );
}
