export declare const LOADER: Readonly<Record<"amd64" | "arm64", string>>;
export declare const ISO_TOOLS: Readonly<Record<string, string>>;
export declare function fakeEfiProgram(arch: string): Buffer;
export declare function assembleOverlay(cwd: string, args: Record<string, string | undefined>, dest: string): void;
export interface InstallerIsoOptions {
  out: string;
  tree?: string;
  arch?: string;
  label?: string;
  efiArch?: string;
  loaderName?: string | null;
  efi?: boolean;
  rootfs?: boolean;
  rootfsBytes?: number;
}
export declare function makeInstallerIso(options: InstallerIsoOptions): void;
export declare function templateIso(arch?: string): { path: string; sha256: string };
