// The bucket and region come from the Host header, `<BucketName-APPID>.ci.<Region>.<domain>`, whatever
// the domain: myqcloud.com through a hosts entry or proxy, or the user's own domain.

export interface CiHost {
  bucket: string;
  region: string;
}

const HOST = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.ci\.([a-z0-9][a-z0-9-]{0,40})\.[a-z0-9.-]+$/;

export function parseCiHost(hostHeader: string | undefined): CiHost | undefined {
  if (!hostHeader) return undefined;
  const host = hostHeader.trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  const m = HOST.exec(host);
  if (!m) return undefined;
  return { bucket: m[1]!, region: m[2]! };
}
