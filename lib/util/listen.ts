import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ListeningServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:3000`. */
  url: string;
  port: number;
  /** Stops listening and ends open keep-alive connections too. */
  close(): Promise<void>;
}

/** Starts `server` on `port` (0 picks a free one) and `host`. */
export async function listen(server: Server, { port, host }: { port: number; host: string }): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // A TCP server that is listening always has an AddressInfo.
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
