import { describe, expect, it } from '@jest/globals';
import { hostOf, isLocalhostName, isPublicAddress } from './address-classification.js';

describe('address classification', () => {
  it('refuses loopback, private, link-local, CGNAT, metadata and reserved IPv4', () => {
    for (const address of [
      '127.0.0.1',
      '127.255.255.254',
      '0.0.0.0',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '100.127.255.255',
      '192.0.2.1',
      '198.18.0.1',
      '224.0.0.1',
      '255.255.255.255',
    ]) {
      expect([address, isPublicAddress(address)]).toEqual([address, false]);
    }
  });

  it('refuses loopback, ULA, link-local, mapped and embedded IPv6', () => {
    for (const address of [
      '::1',
      '::',
      'fc00::1',
      'fd12:3456::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:8.8.8.8',
      '64:ff9b::a00:1',
      '2002:a00:1::1',
      'ff02::1',
      '2001:db8::1',
    ]) {
      expect([address, isPublicAddress(address)]).toEqual([address, false]);
    }
  });

  it('accepts public addresses, and nothing that is not an address', () => {
    for (const address of [
      '8.8.8.8',
      '93.184.215.14',
      '172.32.0.1',
      '100.128.0.1',
      '2606:4700::1',
    ]) {
      expect([address, isPublicAddress(address)]).toEqual([address, true]);
    }
    expect(isPublicAddress('example.com')).toBe(false);
    expect(isPublicAddress('')).toBe(false);
  });

  it('reads a URL host the way the connection will see it', () => {
    expect(hostOf(new URL('http://2130706433/'))).toBe('127.0.0.1');
    expect(hostOf(new URL('http://0x7f.1/'))).toBe('127.0.0.1');
    expect(hostOf(new URL('http://[::ffff:127.0.0.1]/'))).toBe('::ffff:7f00:1');
    expect(hostOf(new URL('http://API.Example.COM./v1'))).toBe('api.example.com');
    expect(isLocalhostName(hostOf(new URL('http://Foo.LocalHost./')))).toBe(true);
    expect(isLocalhostName('localhost.example.com')).toBe(false);
  });
});
