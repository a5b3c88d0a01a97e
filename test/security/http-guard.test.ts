/** What the web front refuses before a route runs (server/http-guard.ts), and the settings it reads. */
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../server/config';
import { bodyLimit, bodyTimeoutMs, refuseRequest } from '../../server/http-guard';

const config = { DRIPLINE_PUBLIC_URL: 'https://mail.example.com' };
const json = { 'content-type': 'application/json', 'content-length': '20', host: 'mail.example.com' };

describe('refuseRequest', () => {
  it('lets same-origin JSON writes and programs without Origin through', () => {
    for (const headers of [
      { ...json, origin: 'https://mail.example.com', 'sec-fetch-site': 'same-origin' },
      { ...json, origin: 'https://mail.example.com' },
      json,
    ]) {
      expect(refuseRequest(config, { method: 'POST', pathname: '/api/flows', headers })).toBeUndefined();
    }
  });

  it('refuses writes from other sites and origins, sibling subdomains included', () => {
    expect(refuseRequest(config, { method: 'POST', pathname: '/api/flows', headers: { ...json, 'sec-fetch-site': 'same-site' } })).toMatchObject({
      status: 403,
      code: 'cross_site',
    });
    expect(refuseRequest(config, { method: 'DELETE', pathname: '/api/runs/r1', headers: { origin: 'https://evil.mail.example.com' } })).toMatchObject(
      {
        status: 403,
        code: 'cross_origin',
      },
    );
    // Reads are not writes.
    expect(refuseRequest(config, { method: 'GET', pathname: '/api/flows', headers: { origin: 'https://evil.example' } })).toBeUndefined();
  });

  it('takes only JSON bodies on the API (a text/plain form post is 415)', () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const headers = { 'content-length': '20', ...(type ? { 'content-type': type } : {}) };
      expect(refuseRequest(config, { method: 'POST', pathname: '/api/auth/sign-in/email', headers }), type).toMatchObject({ status: 415 });
    }
    expect(refuseRequest(config, { method: 'POST', pathname: '/api/flows/f1/publish', headers: { 'content-type': 'text/plain' } })).toBeUndefined();
  });

  it('limits bodies by route before reading them, and wants their length up front', () => {
    expect(bodyLimit('PUT', '/api/flows/f1')).toBe(2 * 1024 * 1024);
    expect(bodyLimit('POST', '/api/runs')).toBeGreaterThan(bodyLimit('POST', '/api/contacts'));
    expect(bodyLimit('POST', '/api/auth/sign-in/email')).toBe(16 * 1024);
    const big = { ...json, 'content-length': String(300 * 1024 * 1024) };
    expect(refuseRequest(config, { method: 'POST', pathname: '/api/auth/sign-in/email', headers: big })).toMatchObject({ status: 413 });
    expect(
      refuseRequest(config, { method: 'PUT', pathname: '/api/flows/f1', headers: { ...json, 'content-length': String(1024 * 1024) } }),
    ).toBeUndefined();
    expect(
      refuseRequest(config, { method: 'POST', pathname: '/api/contacts', headers: { ...json, 'content-length': String(1024 * 1024) } }),
    ).toMatchObject({
      status: 413,
    });
    const chunked = { 'content-type': 'application/json', 'transfer-encoding': 'chunked' };
    expect(refuseRequest(config, { method: 'POST', pathname: '/api/contacts', headers: chunked })).toMatchObject({ status: 411 });
  });
});

describe('bodyTimeoutMs', () => {
  it('waits DRIPLINE_REQUEST_TIMEOUT_SECONDS for a body, and for a CSV upload a second more for every 64 KB it declares', () => {
    const config = readConfig({ DRIPLINE_REQUEST_TIMEOUT_SECONDS: '60' });
    expect(bodyTimeoutMs(config, 'POST', '/api/flows', 2 * 1024 * 1024)).toBe(60_000);
    expect(bodyTimeoutMs(config, 'POST', '/api/imports', 64 * 1024 * 10)).toBe(70_000);
    // 256 MB at 64 KB/s: 4,096 s, so a slow upload of the largest file still finishes.
    expect(bodyTimeoutMs(config, 'POST', '/api/imports', undefined)).toBe(60_000 + 4_096_000);
    expect(readConfig({}).DRIPLINE_REQUEST_TIMEOUT_SECONDS).toBe(60);
  });
});

describe('security settings', () => {
  it('names a bad DRIPLINE_SMTP_ALLOWED_HOSTS or DRIPLINE_TRUSTED_PROXIES item', () => {
    expect(() => readConfig({ DRIPLINE_SMTP_ALLOWED_HOSTS: 'relay.ok:25, bad_host!' })).toThrow(/DRIPLINE_SMTP_ALLOWED_HOSTS: "bad_host!" is not/);
    expect(() => readConfig({ DRIPLINE_SMTP_ALLOWED_HOSTS: 'relay.ok:99999' })).toThrow(/DRIPLINE_SMTP_ALLOWED_HOSTS/);
    expect(() => readConfig({ DRIPLINE_TRUSTED_PROXIES: '10.0.0.0/99' })).toThrow(/DRIPLINE_TRUSTED_PROXIES/);
    const ok = readConfig({ DRIPLINE_SMTP_ALLOWED_HOSTS: 'relay.corp.test:25,10.0.0.0/8', DRIPLINE_TRUSTED_PROXIES: 'loopback, 10.0.0.0/8' });
    expect(ok.DRIPLINE_SMTP_ALLOWED_HOSTS.map((t) => t.text)).toEqual(['relay.corp.test:25', '10.0.0.0/8']);
    expect(ok.DRIPLINE_TRUSTED_PROXIES).toEqual(['loopback', '10.0.0.0/8']);
  });
});
