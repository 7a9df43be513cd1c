#include <stdlib.h>

#include "unit.h"

static rn_unit_case *head;
static rn_unit_case **tail = &head;

void rn_unit_register(rn_unit_case *c) {
  *tail = c;
  tail = &c->next;
}

/* Runs every registered test, or only those whose title contains argv[1]. */
int main(int argc, char **argv) {
  int n = 0, failed = 0;
  for (rn_unit_case *c = head; c; c = c->next) {
    if (argc > 1 && strstr(c->name, argv[1]) == NULL) continue;
    char why[2048] = "";
    int r = c->fn(why, sizeof(why));
    n++;
    if (r == 0) {
      printf("ok %d - %s\n", n, c->name);
    } else {
      failed++;
      printf("not ok %d - %s: %s\n", n, c->name, why);
    }
    fflush(stdout);
  }
  printf("1..%d\n", n);
  return failed ? 1 : 0;
}
