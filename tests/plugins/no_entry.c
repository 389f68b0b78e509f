/* A shared object that is not a tengen plugin: it lacks the entry symbol. */
int tg_not_a_backend(void);
int tg_not_a_backend(void) { return 0; }
