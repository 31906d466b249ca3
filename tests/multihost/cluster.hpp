// Cluster: the multi-host test's worker processes, one per host, and the
// faults it makes them suffer: a SIGKILL, a host cut off the network (its
// veth down), its tasks held, a restart of the PostgreSQL server. Every
// fault is counted for the report. Not thread-safe; the test drives it.
#pragma once

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "multihost_support.hpp"

namespace omniq::multihost {

struct ClusterOptions {
  std::string worker;     // the omniq_multihost_worker program
  std::string run_dir;    // logs and hold switches
  std::string port;       // the server's TCP port
  std::string schema;     // the store's schema
  std::string pg_script;  // scripts/pg-test-server.sh
  std::string pg_dir;     // its DIR
  int concurrency = 4;
  int lease_ms = 5000;
};

class Cluster {
 public:
  Cluster(std::vector<Host> hosts, ClusterOptions o) : hosts_(std::move(hosts)), o_(std::move(o)) {
    pids_.assign(hosts_.size(), -1);
  }
  ~Cluster() {
    for (pid_t pid : pids_) {
      if (pid > 0) {
        ::kill(pid, SIGKILL);
        reap(pid);
      }
    }
  }
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  std::size_t size() const { return hosts_.size(); }
  bool netns() const { return !hosts_.front().netns.empty(); }
  const Host& host(std::size_t i) const { return hosts_[i]; }
  std::string log(std::size_t i) const { return o_.run_dir + "/" + hosts_[i].name + ".log"; }
  std::string out(std::size_t i) const { return o_.run_dir + "/" + hosts_[i].name + ".out"; }

  // Starts host i's worker, in its namespace when it has one.
  void start(std::size_t i) {
    const Host& h = hosts_[i];
    std::vector<std::string> args;
    if (!h.netns.empty()) args = {"ip", "netns", "exec", h.netns};
    args.push_back(o_.worker);
    args.push_back("--url=postgresql://postgres@" + h.server_addr + ":" + o_.port +
                   "/postgres?schema=" + o_.schema);
    args.push_back("--host=" + h.name);
    args.push_back("--log=" + log(i));
    args.push_back("--hold=" + hold_file(i));
    args.push_back("--concurrency=" + std::to_string(o_.concurrency));
    args.push_back("--lease-ms=" + std::to_string(o_.lease_ms));
    pids_[i] = spawn(args, out(i));
  }

  // SIGKILLs host i's worker and starts a new one.
  void kill_and_restart(std::size_t i) {
    ::kill(pids_[i], SIGKILL);
    reap(pids_[i]);
    killed_pids_.insert(pids_[i]);
    pids_[i] = -1;
    ++kills_;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    start(i);
  }

  // Host i's tasks wait in their handlers while held (see the worker).
  void hold(std::size_t i, bool on) {
    if (on) {
      std::ofstream(hold_file(i)) << "held\n";
    } else {
      std::filesystem::remove(hold_file(i));
    }
  }

  // Takes host i's veth down (cut off) or up again.
  void link(std::size_t i, bool up) {
    const Host& h = hosts_[i];
    run_command({"ip", "-n", h.netns, "link", "set", "dev", h.veth, up ? "up" : "down"},
                o_.run_dir + "/commands.out");
    if (!up) ++cutoffs_;
  }

  // pg_ctl restart -m fast: every session of every host is cut.
  void restart_server() {
    run_command({o_.pg_script, "restart", o_.pg_dir}, o_.run_dir + "/commands.out");
    ++restarts_;
  }

  // SIGTERMs every worker; returns those that did not exit 0, described.
  std::string stop_all() {
    for (pid_t pid : pids_) ::kill(pid, SIGTERM);
    std::string bad;
    for (std::size_t i = 0; i < pids_.size(); ++i) {
      int rc = reap(pids_[i]);
      pids_[i] = -1;
      if (rc != 0) bad += hosts_[i].name + " exited " + std::to_string(rc) + "\n" + tail(out(i));
    }
    return bad;
  }

  // Whether a worker of host i died on its own.
  std::string check_alive() {
    std::string dead;
    for (std::size_t i = 0; i < pids_.size(); ++i) {
      int status = 0;
      if (pids_[i] > 0 && ::waitpid(pids_[i], &status, WNOHANG) == pids_[i]) {
        dead += hosts_[i].name + " died\n" + tail(out(i));
        pids_[i] = -1;
      }
    }
    return dead;
  }

  bool killed(pid_t pid) const { return killed_pids_.count(pid) != 0; }
  int kills() const { return kills_; }
  int cutoffs() const { return cutoffs_; }
  int restarts() const { return restarts_; }

 private:
  std::string hold_file(std::size_t i) const { return o_.run_dir + "/" + hosts_[i].name + ".hold"; }

  std::vector<Host> hosts_;
  ClusterOptions o_;
  std::vector<pid_t> pids_;
  std::set<pid_t> killed_pids_;
  int kills_ = 0, cutoffs_ = 0, restarts_ = 0;
};

}  // namespace omniq::multihost
