/* `tengen benchmark`: search speed at several thread counts on fixed positions (KataGo's
 * `katago benchmark` with -t), printed to stdout with a recommended numSearchThreads. */
#ifndef TENGEN_FRONT_BENCHMARK_H
#define TENGEN_FRONT_BENCHMARK_H

/* argv holds the options after the subcommand name (argc of them). Returns the process exit status:
 * 0 done, 1 a runtime failure (config, model, search), 2 bad command line. */
int tg_benchmark_main(int argc, char **argv);

#endif
