/**
 * An intrusive doubly linked list of attempts in start order. All attempts in one list share one timeout, so the
 * head is always the next to expire; a finished attempt unlinks itself in O(1), so the list never holds the dead.
 */
export interface Linked<T> {
  prev: T | null;
  next: T | null;
}

export class DeadlineList<T extends Linked<T>> {
  head: T | null = null;
  private tail: T | null = null;

  append(item: T): void {
    item.prev = this.tail;
    item.next = null;
    if (this.tail) this.tail.next = item;
    else this.head = item;
    this.tail = item;
  }

  remove(item: T): void {
    if (item.prev) item.prev.next = item.next;
    else if (this.head === item) this.head = item.next;
    else return; // not linked
    if (item.next) item.next.prev = item.prev;
    else this.tail = item.prev;
    item.prev = item.next = null;
  }
}
