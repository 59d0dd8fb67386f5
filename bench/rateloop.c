/* The paced load of bench/monitor-overhead.sh's sweep: open("/dev/null") + close pairs at RATE
 * system calls per second for SECONDS, in 1 ms slices (each slice's calls as fast as they go, then
 * sleep to the slice's end). Prints the rate achieved (a slow machine may not reach RATE). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long rate = argc > 1 ? atol(argv[1]) : 100000;
	double secs = argc > 2 ? atof(argv[2]) : 10;
	long per_slice = rate / 2 / 1000; /* pairs per millisecond */
	if (per_slice < 1)
		per_slice = 1;
	double start = now(), next = start;
	long calls = 0;
	while (now() - start < secs) {
		for (long i = 0; i < per_slice; i++) {
			int fd = open("/dev/null", O_RDONLY);
			if (fd < 0) {
				perror("open");
				return 1;
			}
			close(fd);
			calls += 2;
		}
		next += 0.001;
		double wait = next - now();
		if (wait > 0) {
			struct timespec ts = {0, (long)(wait * 1e9)};
			nanosleep(&ts, NULL);
		}
	}
	printf("%.0f\n", calls / (now() - start));
	return 0;
}
