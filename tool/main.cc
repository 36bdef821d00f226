// The `rapidtls` command: `serve` and `get`.
#include <CLI/CLI.hpp>

#include "get.h"
#include "serve.h"

int main(int argc, char** argv) {
  using rapidtls::tool::GetOptions;
  using rapidtls::tool::ServeOptions;
  CLI::App app{"rapidtls: an HTTPS file server and client on the rapidtls TLS 1.3 library"};
  app.set_version_flag("--version", "rapidtls 0.1.0");
  app.require_subcommand(1);

  ServeOptions so;
  CLI::App* serve =
      app.add_subcommand("serve", "Serve a folder over HTTPS (HTTP/1.1, TLS 1.2 and 1.3)");
  serve->add_option("DIR", so.dir, "The folder to serve")
      ->check(CLI::ExistingDirectory)
      ->capture_default_str();
  serve
      ->add_option("--cert", so.cert,
                   "Certificate chain (PEM); without it a self-signed one is made")
      ->check(CLI::ExistingFile);
  serve->add_option("--key", so.key, "Private key (PEM; default: the --cert file)")
      ->check(CLI::ExistingFile);
  serve->add_option("-p,--port", so.port, "TCP port (0: any free one)")->capture_default_str();
  serve->add_option("-b,--bind", so.bind, "Address to listen on")->capture_default_str();
  serve->add_flag("--tls1.2", so.tls12, "TLS 1.2 only (default: TLS 1.2 and 1.3)");
  serve->add_flag("--tls1.3", so.tls13, "TLS 1.3 only");
  serve->add_option("--keylog", so.keylog, "Append TLS secrets to FILE (NSS key log format)");
  serve->add_option("--threads", so.loops, "Event loops (default: one per core)");
  serve->add_option("--max-connections", so.max_connections, "Connections open at once")
      ->capture_default_str();
  serve
      ->add_option("--idle-timeout", so.idle_timeout_s,
                   "Seconds a keep-alive or stalled connection may stay idle")
      ->capture_default_str();
  serve
      ->add_option("--header-timeout", so.header_timeout_s,
                   "Seconds for the handshake and each request head")
      ->capture_default_str();
  bool no_log = false;
  serve->add_flag("-q,--no-access-log", no_log, "No access-log lines on stdout");
  bool no_ktls = false;
  serve->add_flag("--no-ktls", no_ktls,
                  "Seal records in user space even where the kernel has kernel TLS");
  serve->add_flag("-v,--verbose", so.verbose,
                  "A line per connection: TLS version, suite, kernel TLS send and receive");

  GetOptions go;
  CLI::App* get = app.add_subcommand("get", "Download a URL over HTTPS");
  get->add_option("URL", go.url, "https://host[:port]/path")->required();
  get->add_option("-o,--output", go.output, "Write to FILE instead of standard output");
  get->add_option("--cafile", go.cafile,
                  "Trust these CA certificates (PEM) instead of the "
                  "system's")
      ->check(CLI::ExistingFile);
  get->add_flag("-k,--insecure", go.insecure, "Do not verify the server's certificate");
  get->add_flag("-v,--verbose", go.verbose,
                "Print the TLS version, suite, group, ALPN, certificate subject and headers");
  get->add_flag("-C,--continue", go.resume, "Resume a partial -o FILE (HTTP Range)");
  get->add_flag("-s,--silent", go.silent, "No progress bar");
  get->add_option("--timeout", go.timeout_s, "Seconds to wait on the network")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);
  so.access_log = !no_log;
  so.ktls = !no_ktls;
  if (*serve) return rapidtls::tool::run_serve(so);
  return rapidtls::tool::run_get(go);
}
