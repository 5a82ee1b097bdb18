export const NODE24_VERSION: string;
export function node24Dir(): string;
export function node24(): string;
