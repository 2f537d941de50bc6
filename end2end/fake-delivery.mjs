// Delivery peers for the browser tests, on loopback: a minimal SMTP server (port
// E2E_SMTP_PORT) and an HTTP server (port E2E_DELIVERY_PORT) that is both the SMS gateway
// (POST /sms {"to","text"}) and the tests' view of what arrived (GET /mail, GET /sms).
import net from "node:net";
import http from "node:http";

const smtpPort = Number(process.env.E2E_SMTP_PORT);
const httpPort = Number(process.env.E2E_DELIVERY_PORT);
if (!smtpPort || !httpPort) {
  console.error("fake-delivery: E2E_SMTP_PORT and E2E_DELIVERY_PORT must be set");
  process.exit(2);
}

const mails = [];

// The text of a received email: its body, decoded from base64 or quoted-printable as its
// Content-Transfer-Encoding says (single-part messages, as MAYI ID sends).
function decodeBody(data) {
  const split = data.indexOf("\n\n");
  const headers = split >= 0 ? data.slice(0, split) : "";
  const body = split >= 0 ? data.slice(split + 2) : data;
  const encoding = (headers.match(/^content-transfer-encoding:\s*(\S+)/im) || [])[1]?.toLowerCase();
  if (encoding === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (encoding === "quoted-printable") {
    const bytes = body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, "latin1").toString("utf8");
  }
  return body;
}
const sms = [];

net
  .createServer((socket) => {
    let buffer = "";
    let inData = false;
    let current = { from: "", to: [], data: "" };
    socket.write("220 e2e.local ESMTP\r\n");
    socket.on("data", (chunk) => {
      buffer += chunk.toString("utf8");
      let index;
      while ((index = buffer.indexOf("\r\n")) >= 0) {
        const line = buffer.slice(0, index);
        buffer = buffer.slice(index + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            current.text = decodeBody(current.data);
            mails.push(current);
            current = { from: "", to: [], data: "" };
            socket.write("250 queued\r\n");
          } else {
            current.data += (line.startsWith(".") ? line.slice(1) : line) + "\n";
          }
          continue;
        }
        const upper = line.toUpperCase();
        if (upper.startsWith("EHLO")) socket.write("250-e2e.local\r\n250 8BITMIME\r\n");
        else if (upper.startsWith("HELO") || upper.startsWith("NOOP") || upper.startsWith("RSET")) socket.write("250 OK\r\n");
        else if (upper.startsWith("MAIL FROM:")) {
          current.from = line.slice(10).trim();
          socket.write("250 OK\r\n");
        } else if (upper.startsWith("RCPT TO:")) {
          current.to.push(line.slice(8).trim().replace(/^<|>$/g, ""));
          socket.write("250 OK\r\n");
        } else if (upper === "DATA") {
          inData = true;
          socket.write("354 end with <CRLF>.<CRLF>\r\n");
        } else if (upper.startsWith("QUIT")) {
          socket.end("221 bye\r\n");
        } else socket.write("502 not implemented\r\n");
      }
    });
    socket.on("error", () => {});
  })
  .listen(smtpPort, "127.0.0.1");

http
  .createServer((req, res) => {
    if (req.method === "POST" && req.url === "/sms") {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        try {
          sms.push(JSON.parse(body));
          res.writeHead(200).end("accepted");
        } catch {
          res.writeHead(400).end("bad json");
        }
      });
      return;
    }
    const list = req.url === "/mail" ? mails : req.url === "/sms" ? sms : null;
    if (req.method === "GET" && list) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(list));
      return;
    }
    res.writeHead(404).end();
  })
  .listen(httpPort, "127.0.0.1");

console.log(`fake-delivery: SMTP on ${smtpPort}, gateway and mailbox on ${httpPort}`);
