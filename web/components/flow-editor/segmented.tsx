/** One choice of a few, as the editor's side-by-side radio buttons (the `segmented` style). */
export interface Choice<T extends string> {
  value: T;
  label: string;
  testId?: string;
}

export function Segmented<T extends string>(props: { name: string; value: T; choices: Choice<T>[]; onChange: (value: T) => void }) {
  return (
    <div className="segmented">
      {props.choices.map((c) => (
        <label key={c.value}>
          <input
            className="nodrag"
            type="radio"
            name={props.name}
            checked={props.value === c.value}
            onChange={() => props.onChange(c.value)}
            data-testid={c.testId}
          />
          {c.label}
        </label>
      ))}
    </div>
  );
}
