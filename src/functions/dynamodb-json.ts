/**
 * DynamoDB JSON (the wire form of stream images and Keys) <-> the Tables port's plain values.
 * Covers the types the port stores: S, N, BOOL, NULL, L, M. Sets and binary (SS, NS, BS, B),
 * which the port never writes, unmarshal to arrays / base64 strings so a foreign record still reads.
 */
import type { AttributeValue, Item } from '../ports/tables.ts';

export type DynamoValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: DynamoValue[] }
  | { M: Record<string, DynamoValue> }
  | { B: string }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] };

export type DynamoItem = Record<string, DynamoValue>;

export function marshallValue(value: AttributeValue): DynamoValue {
  if (value === null) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(marshallValue) };
  return { M: marshallItem(value) };
}

export function marshallItem(item: Item): DynamoItem {
  const out: DynamoItem = {};
  for (const [name, value] of Object.entries(item)) out[name] = marshallValue(value);
  return out;
}

export function unmarshallValue(value: DynamoValue): AttributeValue {
  if ('S' in value) return value.S;
  if ('N' in value) return Number(value.N);
  if ('BOOL' in value) return value.BOOL;
  if ('NULL' in value) return null;
  if ('L' in value) return value.L.map(unmarshallValue);
  if ('M' in value) return unmarshallItem(value.M);
  if ('SS' in value) return [...value.SS];
  if ('NS' in value) return value.NS.map(Number);
  if ('BS' in value) return [...value.BS];
  if ('B' in value) return value.B;
  throw new TypeError(`Unsupported DynamoDB attribute value: ${JSON.stringify(value)}`);
}

export function unmarshallItem(item: DynamoItem): Item {
  const out: Item = {};
  for (const [name, value] of Object.entries(item)) out[name] = unmarshallValue(value);
  return out;
}
