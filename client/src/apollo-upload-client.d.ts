// apollo-upload-client ships JavaScript with JSDoc types only; this is the part Reelay uses.
declare module "apollo-upload-client/UploadHttpLink.mjs" {
  import { ApolloLink } from "@apollo/client";

  export default class UploadHttpLink extends ApolloLink {
    constructor(options?: { uri?: string; fetch?: typeof fetch; headers?: Record<string, string>; credentials?: string });
  }
}
