import { notFound } from 'next/navigation';
import { UserError } from '@server/errors';

/** What a server/ function answers, or the 404 page when it says the thing does not exist (or is not this user's to see). */
export async function orNotFound<T>(answer: Promise<T>): Promise<T> {
  try {
    return await answer;
  } catch (err) {
    if (err instanceof UserError && err.status === 404) notFound();
    throw err;
  }
}

/** What a server/ function answers, or undefined when it says the thing does not exist (or is not this user's to see). */
export async function orUndefined<T>(answer: Promise<T>): Promise<T | undefined> {
  try {
    return await answer;
  } catch (err) {
    if (err instanceof UserError && err.status === 404) return undefined;
    throw err;
  }
}
