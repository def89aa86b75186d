import { Injectable } from '@nestjs/common';

/** Whether the service takes new work: false from the moment it starts shutting down. */
@Injectable()
export class Readiness {
  private shuttingDown = false;

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** `/health/ready` answers 503 from now on, so that load balancers send no more requests here. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }
}
