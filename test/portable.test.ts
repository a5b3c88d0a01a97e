import { describe, expect, it } from 'vitest';
import { namedProfiles, PORTABLE_SCHEMA_VERSION, parsePortable, remapProfiles, toPortable } from '../domain/flow/portable';
import { sampleFlow } from '../domain/flow/sample';
import { AGENT_DEFAULT } from '../domain/senders';

const at = new Date('2026-11-27T12:00:00.000Z');
const file = () => JSON.parse(JSON.stringify(toPortable('Welcome series', sampleFlow('prod-ses'), at))) as Record<string, unknown>;
const errorsOf = (input: unknown) => {
  const result = parsePortable(input);
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
};

describe('portable flow files', () => {
  it('round-trips: what export writes, import reads back unchanged, through JSON', () => {
    const written = toPortable('Welcome series', sampleFlow('prod-ses'), at);
    const read = parsePortable(JSON.parse(JSON.stringify(written)));
    expect(read).toEqual({ ok: true, flow: written });
    expect(written.schemaVersion).toBe(PORTABLE_SCHEMA_VERSION);
    expect(written.exportedAt).toBe('2026-11-27T12:00:00.000Z');
  });

  it('refuses a future schemaVersion, naming it and the versions this install reads', () => {
    const errors = errorsOf({ ...file(), schemaVersion: 99 });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.field).toBe('schemaVersion');
    expect(errors[0]?.message).toContain('schemaVersion 99');
    expect(errors[0]?.message).toContain('reads schemaVersion 1');
    expect(errors[0]?.message).toMatch(/newer Dripline/);
  });

  it('refuses an unknown or missing schemaVersion', () => {
    expect(errorsOf({ ...file(), schemaVersion: 'v1' })[0]?.message).toContain('schemaVersion "v1"');
    const { schemaVersion: _, ...noVersion } = file();
    expect(errorsOf(noVersion)[0]).toMatchObject({ field: 'schemaVersion', message: expect.stringMatching(/missing/) });
  });

  it('names the bad field of a malformed file', () => {
    const bad = file() as { graph: { nodes: { data: Record<string, unknown> }[] } };
    (bad.graph.nodes[2] as { data: Record<string, unknown> }).data.subject = '';
    expect(errorsOf(bad)).toContainEqual(
      expect.objectContaining({ field: 'graph.nodes.2.data.subject', message: expect.stringMatching(/subject must not be empty/) }),
    );
    expect(errorsOf({ ...file(), name: '' })).toContainEqual(expect.objectContaining({ field: 'name' }));
    expect(errorsOf({ ...file(), exportedAt: 'yesterday' })).toContainEqual(expect.objectContaining({ field: 'exportedAt' }));
    expect(errorsOf({ ...file(), graph: undefined })).toContainEqual(expect.objectContaining({ field: 'graph' }));
    expect(errorsOf([1, 2])[0]?.message).toMatch(/one JSON object/);
    expect(errorsOf(null)[0]?.message).toMatch(/one JSON object/);
  });

  it('lists the named profiles once, and remaps only those in the map', () => {
    const graph = sampleFlow('prod-ses');
    const second = { ...graph.nodes[2], id: 'again', data: { profileId: AGENT_DEFAULT, subject: 's', text: 't' } } as (typeof graph.nodes)[number];
    const third = { ...graph.nodes[2], id: 'third' } as (typeof graph.nodes)[number];
    const withMore = { ...graph, nodes: [...graph.nodes, second, third] };
    expect(namedProfiles(withMore)).toEqual(['prod-ses']);
    const remapped = remapProfiles(withMore, { 'prod-ses': 'sandbox' });
    expect(namedProfiles(remapped)).toEqual(['sandbox']);
    expect(remapped.nodes.find((n) => n.id === 'again')).toEqual(second);
    expect(remapProfiles(withMore, {})).toEqual(withMore);
  });
});
