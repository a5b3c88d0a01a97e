/**
 * Under a field with a length limit (a subject: 998 characters, the most a mail header line may hold):
 * the count once the text nears the limit. A long subject is kept whole and explained where it is typed,
 * never cut (such fields set no maxLength); a short name that stops at its maxLength says why. Over
 * the limit it says so, unless the form's own error says it already (`over: false`).
 */
export function CharacterCount({ value, max, over = true, testId }: { value: string; max: number; over?: boolean; testId?: string }) {
  const n = value.length;
  if (n < max * 0.8 || (n > max && !over)) return null;
  const count = `${n.toLocaleString('en')} of at most ${max.toLocaleString('en')} characters`;
  return (
    <p className={n > max ? 'field-error' : 'hint'} data-testid={testId}>
      {n > max ? `${count}: ${(n - max).toLocaleString('en')} too many; shorten it` : count}
    </p>
  );
}
