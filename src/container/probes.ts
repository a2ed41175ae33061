/** Startup, readiness and liveness probes. */
import { Duration } from 'cdk8s';
import { checkOptions } from '../check';
import { Validator } from '../errors';
import { k8s } from '../kube';
import { shapeOf } from '../shapes';

/** Timing of a probe. */
export interface HealthProbeOptions {
  /**
   * Wait this long after the container starts before the first probe.
   * @default - no delay (use a startup probe for slow starters)
   */
  readonly initialDelay?: Duration;
  /**
   * How often to probe.
   * @default Duration.seconds(10)
   */
  readonly period?: Duration;
  /**
   * How long one probe may take.
   * @default Duration.seconds(3)
   */
  readonly timeout?: Duration;
  /**
   * Consecutive failures before the probe counts as failed.
   * @default 3
   */
  readonly failureThreshold?: number;
  /**
   * Consecutive successes before a failed probe counts as passing again (must be 1 for liveness and startup probes).
   * @default 1
   */
  readonly successThreshold?: number;
}

/** Scheme of an HTTP probe. */
export enum HttpScheme {
  /** HTTP */
  HTTP = 'HTTP',
  /** HTTPS (the certificate is not verified) */
  HTTPS = 'HTTPS',
}

/** Options of an HTTP GET probe. */
export interface HttpGetHealthProbeOptions extends HealthProbeOptions {
  /**
   * Port number to probe.
   * @default - the first container port
   */
  readonly port?: number;
  /**
   * Scheme.
   * @default HttpScheme.HTTP
   */
  readonly scheme?: HttpScheme;
}

/** Options of a TCP probe. */
export interface TcpSocketHealthProbeOptions extends HealthProbeOptions {
  /**
   * Port number to probe.
   * @default - the first container port
   */
  readonly port?: number;
}

/** A startup, readiness or liveness probe. */
export class HealthProbe {
  /** Succeeds when a TCP connection to the port opens. */
  public static tcpSocket(options: TcpSocketHealthProbeOptions = {}): HealthProbe {
    checkOptions('HealthProbe.tcpSocket', options, shapeOf('TcpSocketHealthProbeOptions'));
    return new HealthProbe('tcp', options, options.port);
  }

  /** Succeeds when `GET path` answers 200-399. */
  public static httpGet(path: string, options: HttpGetHealthProbeOptions = {}): HealthProbe {
    checkOptions('HealthProbe.httpGet', options, shapeOf('HttpGetHealthProbeOptions'));
    return new HealthProbe('http', options, options.port, path, undefined, options.scheme);
  }

  /** Succeeds when the command exits 0 (run inside the container, without a shell). */
  public static exec(command: string[], options: HealthProbeOptions = {}): HealthProbe {
    checkOptions('HealthProbe.exec', options, shapeOf('HealthProbeOptions'));
    return new HealthProbe('exec', options, undefined, undefined, command);
  }

  private constructor(
    private readonly kind: 'tcp' | 'http' | 'exec',
    private readonly options: HealthProbeOptions,
    private readonly port?: number,
    private readonly path?: string,
    private readonly command?: string[],
    private readonly scheme?: HttpScheme,
  ) {}

  /** @internal */
  public _render(v: Validator, prop: string, defaultPort: number | undefined, isReadiness: boolean): k8s.Probe {
    const o = this.options;
    const seconds = (name: string, d: Duration | undefined, min: number): number | undefined => {
      if (d === undefined) return undefined;
      if (!(d instanceof Duration)) v.fail(`${prop}.${name}`, d, 'must be a Duration', `use Duration.seconds(${min})`);
      const s = d.toMilliseconds() / 1000;
      if (!Number.isInteger(s) || s < min) v.fail(`${prop}.${name}`, `${s}s`, `must be a whole number of seconds >= ${min}`, `use Duration.seconds(${Math.max(min, Math.ceil(s))})`);
      return s;
    };
    v.integer(`${prop}.failureThreshold`, o.failureThreshold, 1, 1_000_000, 'use a failureThreshold of 1 or more');
    v.integer(`${prop}.successThreshold`, o.successThreshold, 1, 1_000_000, 'use a successThreshold of 1 or more');
    if (!isReadiness && o.successThreshold !== undefined && o.successThreshold !== 1) {
      v.fail(`${prop}.successThreshold`, o.successThreshold, 'must be 1 for liveness and startup probes (the API server refuses other values)', 'remove successThreshold');
    }
    const timing = {
      initialDelaySeconds: seconds('initialDelay', o.initialDelay, 0),
      periodSeconds: seconds('period', o.period, 1) ?? 10,
      timeoutSeconds: seconds('timeout', o.timeout, 1) ?? 3,
      failureThreshold: o.failureThreshold ?? 3,
      successThreshold: o.successThreshold,
    };
    if (this.kind === 'exec') {
      if (!Array.isArray(this.command) || this.command.length === 0 || this.command.some((c) => typeof c !== 'string')) {
        v.fail(`${prop}.command`, this.command, 'must be a non-empty list of strings', 'pass the program and its arguments, e.g. ["pg_isready"]');
      }
      return { exec: { command: [...this.command] }, ...timing };
    }
    const port = this.port ?? defaultPort;
    if (port === undefined) {
      v.fail(`${prop}.port`, port, 'has no port to probe: the container declares no ports', 'pass { port } or declare ports');
    }
    v.integer(`${prop}.port`, port, 1, 65535, 'use a port between 1 and 65535');
    if (this.kind === 'tcp') {
      return { tcpSocket: { port: k8s.IntOrString.fromNumber(port) }, ...timing };
    }
    if (typeof this.path !== 'string' || !this.path.startsWith('/')) {
      v.fail(`${prop}.path`, this.path, 'must be an absolute URL path', 'use a path such as "/healthz"');
    }
    return { httpGet: { path: this.path, port: k8s.IntOrString.fromNumber(port), scheme: this.scheme }, ...timing };
  }
}
