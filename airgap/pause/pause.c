/*
 * pause: the pod sandbox's init process for skiff's airgap pause image.
 *
 * Holds the pod's namespaces open by sleeping forever. As PID 1 of the pod it
 * also reaps orphaned children (SIGCHLD -> waitpid loop) and exits cleanly on
 * SIGTERM/SIGINT (PID 1 gets no default signal handlers from the kernel).
 *
 * Build: gcc -static -Os -s -o pause pause.c
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
    (void)sig;
    _exit(0);
}

static void on_child(int sig) {
    int saved = errno;
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

static int handle(int sig, void (*fn)(int), int flags) {
    struct sigaction sa = {0};
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) {
        static const char usage[] = "usage: pause (sleeps until SIGTERM or SIGINT)\n";
        (void)!write(2, usage, sizeof usage - 1);
        return 1;
    }
    if (handle(SIGTERM, on_stop, 0) || handle(SIGINT, on_stop, 0) ||
        handle(SIGCHLD, on_child, SA_NOCLDSTOP | SA_RESTART))
        return 2;
    for (;;)
        pause();
}
