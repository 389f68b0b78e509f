/* Input lines read on their own thread; see linequeue.h. */
#include "linequeue.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

typedef struct pending_line {
    char *text;
    size_t len;
    struct pending_line *next;
} pending_line;

struct tg_line_queue {
    FILE *in;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pending_line *head, *tail;
    bool eof;       /* the reader saw the end of input */
    bool abandoned; /* the consumer is gone: the reader cleans up */
};

static void destroy(tg_line_queue *q) {
    for (pending_line *p = q->head, *next; p; p = next) {
        next = p->next;
        free(p->text);
        free(p);
    }
    pthread_cond_destroy(&q->changed);
    pthread_mutex_destroy(&q->lock);
    free(q);
}

static void *reader(void *arg) {
    tg_line_queue *q = arg;
    char *buf = NULL;
    size_t cap = 0;
    for (;;) {
        ssize_t got = getline(&buf, &cap, q->in);
        pthread_mutex_lock(&q->lock);
        bool stop = q->abandoned || got < 0;
        pending_line *p = stop ? NULL : malloc(sizeof *p);
        if (p) {
            p->text = malloc((size_t)got + 1);
            if (p->text) {
                memcpy(p->text, buf, (size_t)got + 1);
                p->len = (size_t)got;
                p->next = NULL;
                if (q->tail)
                    q->tail->next = p;
                else
                    q->head = p;
                q->tail = p;
            } else {
                free(p);
                stop = true;
            }
        } else {
            stop = true;
        }
        if (stop) {
            q->eof = true;
            bool cleanup = q->abandoned;
            pthread_cond_broadcast(&q->changed);
            pthread_mutex_unlock(&q->lock);
            free(buf);
            if (cleanup)
                destroy(q);
            return NULL;
        }
        pthread_cond_broadcast(&q->changed);
        pthread_mutex_unlock(&q->lock);
    }
}

tg_line_queue *tg_line_queue_start(FILE *in) {
    tg_line_queue *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->in = in;
    pthread_mutex_init(&q->lock, NULL);
    pthread_cond_init(&q->changed, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, reader, q) != 0) {
        destroy(q);
        return NULL;
    }
    pthread_detach(t);
    return q;
}

char *tg_line_queue_pop(tg_line_queue *q, size_t *len) {
    pthread_mutex_lock(&q->lock);
    while (!q->head && !q->eof)
        pthread_cond_wait(&q->changed, &q->lock);
    pending_line *p = q->head;
    if (p) {
        q->head = p->next;
        if (!q->head)
            q->tail = NULL;
    }
    pthread_mutex_unlock(&q->lock);
    if (!p)
        return NULL;
    char *text = p->text;
    *len = p->len;
    free(p);
    return text;
}

bool tg_line_queue_wait(tg_line_queue *q, double timeout_s) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    double whole = (double)(long long)timeout_s;
    until.tv_sec += (time_t)whole;
    until.tv_nsec += (long)((timeout_s - whole) * 1e9);
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&q->lock);
    while (!q->head && !q->eof) {
        if (pthread_cond_timedwait(&q->changed, &q->lock, &until) == ETIMEDOUT)
            break;
    }
    bool ready = q->head || q->eof;
    pthread_mutex_unlock(&q->lock);
    return ready;
}

void tg_line_queue_stop(tg_line_queue *q) {
    if (!q)
        return;
    pthread_mutex_lock(&q->lock);
    bool reader_done = q->eof;
    q->abandoned = true;
    pthread_mutex_unlock(&q->lock);
    if (reader_done)
        destroy(q);
}
