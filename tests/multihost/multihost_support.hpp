// What the multi-host test is given and what it works with: the hosts
// (network namespaces made by run_multihost.sh, or none), worker processes
// started in them, commands run to completion, and the logs the workers'
// handlers write (see multihost_worker_main.cpp).
#pragma once

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/processes.hpp"

namespace omniq::multihost {

inline std::string env_or(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v == nullptr ? fallback : std::string(v);
}

// A host: its network namespace, the end of its veth pair inside it, and the
// server's address as the host reaches it. An empty netns: a plain process
// talking to 127.0.0.1 (the fallback).
struct Host {
  std::string name;
  std::string netns;
  std::string veth;
  std::string server_addr = "127.0.0.1";
};

// OMNIQ_MULTIHOST_HOSTS="ns,veth,addr;ns,veth,addr;..." (run_multihost.sh),
// or `count` fallback hosts when it is empty.
inline std::vector<Host> hosts_from_env(std::size_t count) {
  std::vector<Host> out;
  std::stringstream all(env_or("OMNIQ_MULTIHOST_HOSTS"));
  for (std::string item; std::getline(all, item, ';');) {
    std::stringstream parts(item);
    Host h;
    std::getline(parts, h.netns, ',');
    std::getline(parts, h.veth, ',');
    std::getline(parts, h.server_addr, ',');
    h.name = "h" + std::to_string(out.size());
    out.push_back(h);
  }
  if (out.empty()) {
    for (std::size_t i = 0; i < count; ++i) {
      Host h;
      h.name = "h" + std::to_string(i);
      out.push_back(h);
    }
  }
  return out;
}

// Starts argv (looked up in PATH) with stdout and stderr appended to `log`.
inline pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  return testing::spawn_logged(args, log, /*search_path=*/true);
}

// Reaps a child: its exit code, or minus the signal that ended it.
inline int reap(pid_t pid) {
  return testing::wait_for(pid);
}

// Runs a command to its end; throws with its output when it fails.
inline void run_command(const std::vector<std::string>& args, const std::string& log) {
  int rc = reap(spawn(args, log));
  if (rc != 0) {
    std::string line;
    for (const std::string& a : args) line += a + " ";
    throw std::runtime_error("`" + line + "` failed (" + std::to_string(rc) + "); see " + log);
  }
}

// One handler run, or one held or refused attempt, as a log line says.
struct Attempt {
  std::string id;
  int attempt = 0;
  std::string host;
  pid_t pid = 0;  // the worker process that wrote it (its last "up" line)
};

// A host's log, in order.
struct HostLog {
  std::vector<Attempt> runs, holds, refused;
};

// A line still being appended (no newline yet) is left for the next read.
inline HostLog read_log(const std::string& path) {
  HostLog out;
  std::ifstream file(path);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::istringstream in(text.substr(0, text.rfind('\n') + 1));
  pid_t pid = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream s(line);
    std::string kind;
    Attempt a;
    s >> kind;
    if (kind == "up") {
      s >> pid;
      continue;
    }
    s >> a.id >> a.attempt >> a.host;
    a.pid = pid;
    if (kind == "run") out.runs.push_back(a);
    if (kind == "hold") out.holds.push_back(a);
    if (kind == "refused") out.refused.push_back(a);
  }
  return out;
}

// The last `n` lines of a file, for failure messages.
inline std::string tail(const std::string& file, std::size_t n = 20) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string out;
  for (std::size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i) {
    out += "  " + lines[i] + "\n";
  }
  return out;
}

}  // namespace omniq::multihost
