// Migrates the app database (Dripline's tables and better-auth's) and writes the embedded defaults:
// the sandbox SMTP profile, the sample flow and contacts, and the first admin. Creates the sandbox's
// database too, so that the sandbox process and the web app never both create it at once.
import { ensureFirstAdmin, migrateAuth } from './auth';
import { readConfig } from './config';
import { openDatabase, openSandboxDatabase } from './db';
import { adoptOwnerless } from './db/ownership';
import { firstAdminId } from './db/users';
import { upgradeStoredPasswords } from './profiles';
import { loadKeyring } from './secrets';
import { seed } from './seed';

export async function setup(): Promise<string | undefined> {
  const config = readConfig();
  await (await openSandboxDatabase(config.sandboxDatabaseFile)).destroy();
  const db = await openDatabase(config.database, { poolSize: config.DATABASE_POOL_SIZE });
  try {
    await seed(db, config);
    // SMTP passwords from before per-purpose keys and profile binding, or under a rotated-away key: rewritten now.
    const { upgraded, unreadable } = await upgradeStoredPasswords(db, loadKeyring(config));
    if (upgraded > 0) console.log(`[dripline] re-encrypted ${upgraded} stored SMTP password(s) in the current format`);
    if (unreadable.length > 0) {
      console.warn(
        `[dripline] cannot decrypt the stored SMTP password of ${unreadable.join(', ')}: set DRIPLINE_PREVIOUS_SECRET_KEYS, or enter the password again`,
      );
    }
    await migrateAuth(db, config);
    const admin = await ensureFirstAdmin(db, config);
    // Flows and runs from before owners, and the sample flow seeded before any user, are the first admin's.
    const owner = await firstAdminId(db);
    if (owner) await adoptOwnerless(db, owner);
    if (!admin) return undefined;
    return admin.passwordFile
      ? `First admin: ${admin.email} / ${admin.password} (kept in ${admin.passwordFile}; change it after logging in)`
      : `First admin: ${admin.email} (password from DRIPLINE_ADMIN_PASSWORD)`;
  } finally {
    await db.destroy();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const message = await setup();
  if (message) console.log(`[dripline] ${message}`);
}
