import path from 'node:path';
import type { NextConfig } from 'next';

// The app lives in web/ but imports ../activities and ../workflows, so the repo root is the project root.
// Next transpiles this file to CommonJS (where __dirname is web/); the fallback covers native ESM loading,
// where the app is always started from the repo root (`next build web`, `next start web`).
const repoRoot = typeof __dirname === 'string' ? path.join(__dirname, '..') : process.cwd();

const nextConfig: NextConfig = {
  // Native and server-only packages are loaded from node_modules at run time, never bundled.
  serverExternalPackages: ['@temporalio/client', '@temporalio/common', '@temporalio/proto', 'better-sqlite3', 'kysely', 'nodemailer'],
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  typescript: { ignoreBuildErrors: false },
  // forbidden() answers agents on admin pages with a 403 and app/forbidden.tsx.
  experimental: { authInterrupts: true },
  poweredByHeader: false,
};

export default nextConfig;
