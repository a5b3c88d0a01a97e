import path from 'node:path';
import type { NextConfig } from 'next';

// The app lives in web/ but imports ../activities and ../workflows, so the repo root is the project root.
// Next transpiles this file to CommonJS (where __dirname is web/); the fallback covers native ESM loading,
// where the app is always started from the repo root (`next build web`, `next start web`).
const repoRoot = typeof __dirname === 'string' ? path.join(__dirname, '..') : process.cwd();

const dev = process.env.NODE_ENV === 'development';

/**
 * Security headers on every answer, pages and API alike. Pages get their own Content-Security-Policy
 * from web/proxy.ts, whose script-src allows only scripts carrying that request's nonce (Next puts it
 * on its own inline scripts); this one, for everything else, allows no inline script at all. React Flow
 * positions nodes with inline styles, so styles allow 'unsafe-inline'; nothing else loads from anywhere
 * but this origin, and no other site may frame the app (clickjacking).
 */
const contentSecurityPolicy = [
  "default-src 'self'",
  `script-src 'self'${dev ? " 'unsafe-eval'" : ''}`,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  `connect-src 'self'${dev ? ' ws: wss:' : ''}`,
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const securityHeaders = [
  { key: 'Content-Security-Policy', value: contentSecurityPolicy },
  { key: 'X-Frame-Options', value: 'DENY' },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'same-origin' },
  { key: 'Permissions-Policy', value: 'camera=(), microphone=(), geolocation=(), payment=()' },
  { key: 'Cross-Origin-Opener-Policy', value: 'same-origin' },
  { key: 'Cross-Origin-Resource-Policy', value: 'same-origin' },
];

/**
 * A route's own value for one of the headers above. Next sets these config headers over whatever a
 * route answers with, so a route cannot set them itself; a later rule wins over an earlier one here.
 */
const routeHeaders = [
  // The unsubscribe page's URL is the contact's token: no link on it may send that on as a referrer.
  { source: '/unsubscribe/:token', headers: [{ key: 'Referrer-Policy', value: 'no-referrer' }] },
];

const nextConfig: NextConfig = {
  async headers() {
    return [{ source: '/:path*', headers: securityHeaders }, ...routeHeaders];
  },
  // Native and server-only packages are loaded from node_modules at run time, never bundled.
  serverExternalPackages: [
    '@temporalio/client',
    '@temporalio/common',
    '@temporalio/proto',
    '@temporalio/workflow',
    'better-sqlite3',
    'kysely',
    'nodemailer',
    'mjml',
    'prom-client',
  ],
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  typescript: { ignoreBuildErrors: false },
  // forbidden() answers agents on admin pages with a 403 and app/forbidden.tsx.
  experimental: { authInterrupts: true },
  poweredByHeader: false,
};

export default nextConfig;
