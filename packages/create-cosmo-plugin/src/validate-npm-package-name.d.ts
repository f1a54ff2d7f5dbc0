// validate-npm-package-name ships no types; this is the part of its API the scaffolder uses.
declare module "validate-npm-package-name" {
  interface Result {
    validForNewPackages: boolean;
    validForOldPackages: boolean;
    errors?: string[];
    warnings?: string[];
  }
  function validate(name: string): Result;
  export default validate;
}
