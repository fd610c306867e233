// Benchmark (not a test): the same jobs on an idle machine and beside a one-core spinner (another process
// busy-looping, as a desktop's browser or compiler would), for each thread count and OpenMP wait policy, so
// the cost of a loaded machine can be compared with the share of CPU it took.
//   demo job:  `circuit-trace evaluate` (simple SVA set, 20 train, 20 test, relp, mlp_act) as a whole
//              process, what a user runs;
//   8B job:    one RelP pass (forward + backward with the LRP rules) of 32 tokens through one decoder layer
//              of the Llama-3.1-8B shape in bf16 (random weights made in memory), best of 2, in a child
//              process of this program (--job 8b) so that the wait policy, read at start-up, applies.
// Each configuration runs as a fresh process with OMP_WAIT_POLICY set as listed; SPIN1000 leaves it unset and
// sets GOMP_SPINCOUNT=1000 (spin 1,000 iterations, then sleep: a middle way, measured and not chosen).
// "unset": neither; for the 8B job that is libgomp's default (spin about 300,000 iterations), circuit-trace
// sets PASSIVE itself and starts again (app/passive_wait.h). Prints seconds and the ratio loaded / idle; with 2 cores and one spinner, 2.0 is the
// share of CPU lost, anything above it is waiting on a preempted thread.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "ce/core/base/threading.h"
#include "ce/core/model/model_config.h"
#include "engine/llama.h"
#include "io/llama_weight_spec.h"

using namespace ce::core;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The 8B job, in this process: prints the best time of two RelP passes.
int run_8b_job(int threads) {
  set_compute_threads(threads);
  ModelConfig c;
  c.hidden_size = 4096;
  c.intermediate_size = 14336;
  c.num_hidden_layers = 1;
  c.num_attention_heads = 32;
  c.num_key_value_heads = 8;
  c.head_dim = 128;
  c.vocab_size = 32000;  // the lm_head of a 128k vocabulary would dominate one layer's time
  c.max_position_embeddings = 8192;
  c.tie_word_embeddings = true;
  torch::NoGradGuard no_grad;
  std::map<std::string, torch::Tensor> weights;
  for (const auto& [name, shape] : llama_weight_shapes(c, false)) {
    weights[name] = (torch::randn(shape) * 0.02).to(torch::kBFloat16);
  }
  LlamaModel e(c, weights);
  const torch::Tensor ids = torch::arange(32, torch::kInt64).mul(7919).remainder(c.vocab_size).unsqueeze(0);
  double best = 1e30;
  for (int r = 0; r < 3; ++r) {
    torch::AutoGradMode grad(true);
    ForwardOptions o;
    o.logits = LogitsMode::Last;
    o.rules = GradRules::relp();
    o.hook = [](Site s, int layer, const torch::Tensor& x) {
      return s == Site::ResidPre && layer == 0 ? x.detach().requires_grad_(true) : x;
    };
    const auto t0 = Clock::now();
    torch::Tensor logits = e.forward(ids, o).logits;  // [1, 1, vocab]
    (logits[0][0][1] - logits[0][0][2]).backward();
    if (r > 0) best = std::min(best, seconds_since(t0));  // the first run warms up
  }
  std::printf("%.4f\n", best);
  return 0;
}

// Runs `argv` with OMP_WAIT_POLICY = policy ("" = unset; "SPIN1000": unset, GOMP_SPINCOUNT=1000); returns
// its wall time, or -1 when it failed.
double time_process(const std::vector<std::string>& argv, const std::string& policy, std::string* output) {
  int pipe_fd[2];
  if (pipe(pipe_fd) != 0) return -1;
  const auto t0 = Clock::now();
  const pid_t pid = fork();
  if (pid == 0) {
    unsetenv("GOMP_SPINCOUNT");
    if (policy.empty() || policy == "SPIN1000") unsetenv("OMP_WAIT_POLICY");
    else setenv("OMP_WAIT_POLICY", policy.c_str(), 1);
    if (policy == "SPIN1000") setenv("GOMP_SPINCOUNT", "1000", 1);
    dup2(pipe_fd[1], 1);
    close(pipe_fd[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(pipe_fd[1]);
  char buf[4096];
  ssize_t n;
  std::string out;
  while ((n = read(pipe_fd[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(pipe_fd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  const double s = seconds_since(t0);
  if (output) *output = out;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? s : -1;
}

// A process that spins on one core until killed.
pid_t start_spinner() {
  const pid_t pid = fork();
  if (pid == 0) {
    volatile unsigned long x = 0;
    for (;;) x = x + 1;
  }
  return pid;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc == 4 && std::string(argv[1]) == "--job" && std::string(argv[2]) == "8b") return run_8b_job(std::atoi(argv[3]));
  const std::string self = "/proc/self/exe";
  char exe[4096];
  const ssize_t len = readlink(self.c_str(), exe, sizeof exe - 1);
  if (len <= 0) return 2;
  exe[len] = '\0';
  const std::string bin = std::string(exe).substr(0, std::string(exe).rfind('/'));
  const std::string data = std::string(CE_SOURCE_DIR) + "/resources/datasets/sva/";
  std::printf("hardware threads: %d\n", hardware_threads());
  struct Config {
    std::string threads, policy;
  };
  const std::vector<Config> configs = {{"0", ""},      {"0", "ACTIVE"},  {"0", "PASSIVE"},
                                       {"0", "SPIN1000"}, {"1", "ACTIVE"}, {"1", "PASSIVE"}};
  for (const std::string job : {"demo", "8b"}) {
    std::printf("\n%s job%s\n%-9s %-8s %9s %9s %8s\n", job.c_str(),
                job == "demo" ? " (circuit-trace evaluate, simple 20/20, relp)" : " (RelP of 32 tokens, 1 layer of 8B, bf16)",
                "--threads", "policy", "idle s", "loaded s", "ratio");
    for (const Config& c : configs) {
      std::vector<std::string> cmd;
      if (job == "demo") {
        cmd = {bin + "/circuit-trace", "evaluate", "--data", data + "simple_train.json", "--test",
               data + "simple_test.json", "--limit", "20", "--test-limit", "20", "--threads", c.threads};
      } else {
        cmd = {exe, "--job", "8b", c.threads};
      }
      double t[2];
      for (int loaded = 0; loaded < 2; ++loaded) {
        const pid_t spinner = loaded ? start_spinner() : 0;
        double best = 1e30;
        for (int r = 0; r < 2; ++r) {
          std::string out;
          const double s = time_process(cmd, c.policy, &out);
          const double v = job == "8b" && s > 0 ? std::atof(out.c_str()) : s;
          if (s < 0) {
            std::fprintf(stderr, "bench_threads: %s failed\n", cmd[0].c_str());
            if (spinner) kill(spinner, SIGKILL);
            return 2;
          }
          best = std::min(best, v);
        }
        if (spinner) {
          kill(spinner, SIGKILL);
          waitpid(spinner, nullptr, 0);
        }
        t[loaded] = best;
      }
      std::printf("%-9s %-8s %9.3f %9.3f %8.2f\n", c.threads.c_str(), c.policy.empty() ? "unset" : c.policy.c_str(),
                  t[0], t[1], t[1] / t[0]);
    }
  }
  return 0;
}
