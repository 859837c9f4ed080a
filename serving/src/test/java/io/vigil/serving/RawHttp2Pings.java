package io.vigil.serving;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A bare HTTP/2 client (prior knowledge, cleartext) that only pings: the grpc-java client will not
 * ping more often than every 10 s, so a test of the server's ping policy writes the frames itself
 * (RFC 9113: the connection preface, SETTINGS, PING, and reading GOAWAY).
 */
final class RawHttp2Pings {

  private static final int SETTINGS = 0x4;
  private static final int PING = 0x6;
  private static final int GOAWAY = 0x7;
  private static final int ACK = 0x1;

  /** What the server did: PING acknowledgements counted, and the GOAWAY's error code and debug text if it sent one. */
  record Outcome(int acks, Integer goAwayCode, String goAwayDebug) {}

  private RawHttp2Pings() {}

  /** Sends {@code pings} PINGs back to back on a connection with no calls, then reads until GOAWAY, all acks or EOF. */
  static Outcome send(int port, int pings, int readTimeoutMillis) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(readTimeoutMillis);
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      DataInputStream in = new DataInputStream(s.getInputStream());
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      frame(out, SETTINGS, 0, new byte[0]);
      boolean settingsAcked = false;
      int acks = 0;
      int sent = 0;
      try {
        while (true) {
          int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
          int type = in.readUnsignedByte();
          int flags = in.readUnsignedByte();
          in.readInt(); // stream id
          byte[] payload = in.readNBytes(length);
          if (type == SETTINGS && (flags & ACK) == 0) {
            frame(out, SETTINGS, ACK, new byte[0]);
          } else if (type == SETTINGS) {
            settingsAcked = true;
          } else if (type == PING && (flags & ACK) != 0) {
            acks++;
          } else if (type == GOAWAY) {
            int code = ((payload[4] & 0xff) << 24) | ((payload[5] & 0xff) << 16) | ((payload[6] & 0xff) << 8)
                | (payload[7] & 0xff);
            return new Outcome(acks, code, new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8));
          }
          if (settingsAcked && sent < pings) {
            for (; sent < pings; sent++) {
              byte[] data = new byte[8];
              data[7] = (byte) sent;
              frame(out, PING, 0, data);
            }
          }
          if (acks == pings && sent == pings) {
            return new Outcome(acks, null, null);
          }
        }
      } catch (EOFException | SocketTimeoutException e) {
        return new Outcome(acks, null, null);
      }
    }
  }

  private static void frame(DataOutputStream out, int type, int flags, byte[] payload) throws IOException {
    out.writeByte(payload.length >>> 16);
    out.writeShort(payload.length & 0xffff);
    out.writeByte(type);
    out.writeByte(flags);
    out.writeInt(0);
    out.write(payload);
    out.flush();
  }
}
